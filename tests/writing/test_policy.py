import pytest

from tests.conftest import DEMO

from assistant.writing.policy import PolicyError, blocking, check, load_policy, parse, policy_text, save

YAML = """
prohibited_terms:
  - {term: "Projet Aurore", severity: block, message: "codename"}
  - internal only
disclosure: {forms: ["#NordlysEmployee", "je travaille chez Nordlys", "I work at Nordlys"], severity: warn}
max_hashtags: {limit: 2}
tracked_link: {required: true, severity: block}
max_length: {x: 50}
"""


def test_each_rule_reports_with_severity_and_message():
    policy = parse(YAML)
    post = "Fière du projet aurore ! #a #b #c"
    rules = {v["rule"]: v for v in check(post, policy, tracked_link="https://x.test/?utm_content=s1")}
    assert rules["prohibited_term"]["severity"] == "block" and rules["prohibited_term"]["message"] == "codename"
    assert rules["disclosure"]["severity"] == "warn"
    assert rules["max_hashtags"]["severity"] == "warn" and "3 > 2" in rules["max_hashtags"]["message"]
    assert rules["tracked_link"]["severity"] == "block"
    assert [v["rule"] for v in check(post, policy)][0] == "prohibited_term"  # blocking first


def test_clean_post_passes_and_tracked_link_is_only_checked_when_given():
    policy = parse(YAML)
    post = "Je travaille chez Nordlys et je suis fière de notre parc solaire. #energie"
    assert check(post, policy) == []
    link = "https://x.test/a?utm_content=s1"
    assert blocking(check(post, policy, tracked_link=link))
    assert check(post + " " + link, policy, tracked_link=link) == []


def test_terms_match_whole_words_without_case_or_accents():
    policy = parse("prohibited_terms: [{term: 'Aurore'}]")
    assert check("le PROJET AURORE avance", policy)
    assert check("aurores boréales", policy) == []


def test_length_limit_per_network():
    policy = parse(YAML)
    text = "I work at Nordlys. " + "x" * 60
    assert not any(v["rule"] == "max_length" for v in check(text, policy, network="linkedin"))
    assert any(v["rule"] == "max_length" for v in check(text, policy, network="x"))


@pytest.mark.parametrize("bad, reason", [
    ("prohibited_terms: {a: 1}", "expected a list"),
    ("prohibited_terms: [{severity: block}]", "needs a non-empty 'term'"),
    ("prohibited_terms: [{term: x, severity: maybe}]", "severity must be"),
    ("max_hashtags: {limit: many}", "whole number"),
    ("colour: blue", "unknown rule"),
    ("prohibited_terms: [", "not valid YAML"),
    ("- just a list", "mapping of rules"),
])
def test_invalid_yaml_is_refused_with_a_reason(bad, reason):
    with pytest.raises(PolicyError, match=reason):
        parse(bad)


def test_save_validates_before_writing(settings):
    path = settings.ensure().policy_path
    assert policy_text(path) == "" and not load_policy(path).configured  # no policy until one is saved
    save("max_hashtags: {limit: 3}", path)
    assert load_policy(path).max_hashtags == 3 and load_policy(path).configured
    with pytest.raises(PolicyError):
        save("max_hashtags: {limit: -1}", path)
    for empty in ("", "  \n", "# only a comment\n", "{}"):
        with pytest.raises(PolicyError, match="empty"):
            save(empty, path)
    assert load_policy(path).max_hashtags == 3  # the valid policy is still in place


def test_context_reads_the_saved_policy_and_follows_changes(ctx):
    assert not ctx.policy.configured and ctx.policy.disclosure_forms == []
    save("disclosure: {forms: ['#AcmeTeam']}", ctx.settings.policy_path)
    assert ctx.policy.configured and ctx.policy.disclosure_forms == ["#AcmeTeam"]


def test_demo_policy_is_valid():
    policy = load_policy(DEMO / "policy.yaml")
    assert policy.prohibited_terms and policy.disclosure_forms and policy.tracked_link_required
    assert policy.disclosure_for("fr") and policy.disclosure_for("en")
