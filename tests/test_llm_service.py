"""`kb ask --mode llm` end to end: real corpus, real llama.cpp server, citations verified."""
import json

import pytest

from conftest import run_kb
from llm_server import make_llm_server_fixture

llm_server = make_llm_server_fixture()

pytestmark = [pytest.mark.llm, pytest.mark.slow]


def test_cli_llm_mode_answers_only_with_verified_citations(home_32_1, kb_32_1, llm_server):
    env = {"OPENAI_BASE_URL": llm_server.base_url, "KB_LLM_MODEL": llm_server.model, "OPENAI_API_KEY": "x"}
    proc = run_kb("ask", "Ai quy định việc tổ chức Ngày Việt Nam ở nước ngoài?", "--mode", "llm", "--json",
                  home=home_32_1, env=env, check=True, timeout=600)
    ans = json.loads(proc.stdout)
    assert ans["mode"] == "llm" and ans["citations"], ans
    for c in ans["citations"]:
        clause = kb_32_1.clause(c["node_id"])
        assert clause is not None and c["quote"] in clause.text and c["citation"] == clause.citation
    if ans["fell_back"]:  # the tiny model often cannot cite: the safety net must then be the extractive answer
        assert ans["answer"].startswith("Theo ") and ans["warnings"]


def test_cli_llm_mode_without_an_endpoint_tells_what_to_set(home_32_1):
    proc = run_kb("ask", "Ai quy định việc tổ chức Ngày Việt Nam ở nước ngoài?", "--mode", "llm", home=home_32_1)
    assert proc.returncode == 2 and "OPENAI_BASE_URL" in proc.stderr and "KB_LLM_MODEL" in proc.stderr


def test_off_topic_question_in_llm_mode_is_not_dressed_up(home_32_1, llm_server):
    env = {"OPENAI_BASE_URL": llm_server.base_url, "KB_LLM_MODEL": llm_server.model}
    ans = json.loads(run_kb("ask", "Giá vàng hôm nay bao nhiêu?", "--mode", "llm", "--json",
                            home=home_32_1, env=env, check=True, timeout=600).stdout)
    assert ans["basis"] == "none" and ans["answer"].startswith("Không tìm thấy căn cứ") and ans["citations"] == []
