import json

from tests.conftest import DEMO, write

from assistant.people import get_person, import_people, posts_of, set_consent

PERSON = {"email": "Alice.Martin@Example.com", "name": "Alice Martin", "role": "Data engineer", "team": "Data",
          "languages": ["fr", "en"], "expertise": "Pipelines de données temps réel.", "skills": ["kafka", "sql"],
          "posts": ["Ravie de présenter notre migration lakehouse au meetup de Lyon !"], "network_size": 850,
          "consent_program": True, "consent_leaderboard": False, "consent_interviews": True, "gender_fr": "f",
          "badge": "B-12"}


def test_jsonl_and_csv_import_with_documented_fields(store, tmp_path):
    write(tmp_path / "p.jsonl", json.dumps(PERSON) + "\n")
    write(tmp_path / "p.csv", "email,name,languages,skills,consent_program,consent_interviews,gender_fr,network_size\n"
          "bob@example.com,Bob Stone,\"en, fr\",\"python; ml\",oui,no,M,1 200\n")
    report = import_people(store, [tmp_path / "p.jsonl", tmp_path / "p.csv"])
    assert report.counts == {"added": 2, "updated": 0, "unchanged": 0, "rejected": 0}
    alice = get_person(store, "alice.martin@example.com")
    assert alice["languages"] == ["fr", "en"] and alice["skills"] == ["kafka", "sql"] and alice["gender_fr"] == "f"
    assert (alice["consent_program"], alice["consent_leaderboard"], alice["consent_interviews"]) == (True, False, True)
    assert json.loads(alice["extra"]) == {"badge": "B-12"}
    assert posts_of(store, "alice.martin@example.com")[0]["language"] == "fr"
    bob = get_person(store, "BOB@example.com")
    assert bob["languages"] == ["en", "fr"] and bob["skills"] == ["python", "ml"] and bob["network_size"] == 1200
    assert bob["consent_program"] and not bob["consent_interviews"] and bob["gender_fr"] == "m"


def test_reimport_is_idempotent_and_updates_keep_posts_and_consent(store, tmp_path):
    path = write(tmp_path / "p.jsonl", json.dumps(PERSON) + "\n")
    import_people(store, [path])
    assert import_people(store, [path]).counts["unchanged"] == 1
    set_consent(store, "alice.martin@example.com", consent_interviews=False)  # the employee opts out
    changed = dict(PERSON, role="Lead data engineer", posts=["A new post about Kafka in production at scale."])
    write(tmp_path / "p.jsonl", json.dumps(changed) + "\n")
    report = import_people(store, [path])
    assert report.counts["updated"] == 1
    alice = get_person(store, "alice.martin@example.com")
    assert alice["role"] == "Lead data engineer"
    assert alice["consent_interviews"] is False  # an import never overrides the employee's choice
    assert len(posts_of(store, "alice.martin@example.com")) == 2  # old post kept, new one added
    assert store.value("SELECT count(*) FROM employees") == 1


def test_bad_people_rows_are_rejected_with_reasons(store, tmp_path):
    rows = [{"name": "No Email"}, {"email": "not-an-email", "name": "X"}, {"email": "x@example.com"},
            {"email": "y@example.com", "name": "Y", "gender_fr": "z"},
            {"email": "z@example.com", "name": "Z", "consent_program": "maybe"},
            {"email": "ok@example.com", "name": "Ok"}]
    write(tmp_path / "p.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n")
    report = import_people(store, [tmp_path / "p.jsonl"])
    text = "\n".join(report.problems)
    assert report.counts["added"] == 1 and report.counts["rejected"] == 5
    for reason in ("missing email", "invalid or missing email", "missing name", "gender_fr must be", "consent_program must be"):
        assert reason in text
    ok = get_person(store, "ok@example.com")
    assert not ok["consent_program"]  # voluntary: nobody is enrolled by default


def test_demo_people_meet_the_brief(store):
    report = import_people(store, sorted(DEMO.glob("people.*")))
    assert report.counts["rejected"] == 0
    rows = store.rows("SELECT * FROM employees")
    assert len(rows) >= 20
    assert len({r["team"] for r in rows}) >= 5
    assert any(not r["consent_interviews"] for r in rows) and any(r["consent_interviews"] for r in rows)
    assert get_person(store, "hugo.martin@nordlys-energie.example") is not None  # mixed case in the CSV
    assert store.value("SELECT count(DISTINCT email) FROM employee_posts") >= 10
