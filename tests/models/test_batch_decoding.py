"""Batched decoding on a tiny random Qwen2 (no weights needed): a batch must write what each prompt writes alone."""
import pytest

from models.batch_decoding import PrefixCache, banned_runs, common_length, decode

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    config = transformers.Qwen2Config(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128)
    return transformers.Qwen2ForCausalLM(config).eval()


def run(model, prompts, **options):
    out = [[] for _ in prompts]
    for step in decode(model, prompts, **options):
        for row, token in step:
            out[row].append(token)
    return out


PROMPTS = [[5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 20, 21],
           [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 30, 31, 32, 33, 34],
           [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 40]]


def test_common_length():
    assert common_length([[1, 2, 3], [1, 2, 4]]) == 2
    assert common_length([[1, 2], [1, 2, 3]]) == 2
    assert common_length([[9], [1]]) == 0
    assert common_length([]) == 0


def test_batch_writes_what_each_prompt_writes_alone(model):
    alone = [run(model, [p], max_new_tokens=12)[0] for p in PROMPTS]
    together = run(model, PROMPTS, max_new_tokens=12)
    assert together == alone
    assert all(len(t) == 12 for t in together)


def test_rows_stop_at_a_stop_token_and_leave_the_batch(model):
    free = run(model, PROMPTS, max_new_tokens=12)
    stop = free[1][3]  # the 4th token of row 1 becomes a stop token
    cut = run(model, PROMPTS, max_new_tokens=12, stop_ids={stop})
    for row, tokens in enumerate(free):
        expected = tokens[: tokens.index(stop)] if stop in tokens else tokens
        assert cut[row] == expected
    assert len(cut[1]) <= 3


def test_prefix_cache_is_reused_and_changes_nothing(model):
    cache = PrefixCache()
    stats: dict = {}
    first = run(model, PROMPTS, max_new_tokens=6, prefix_cache=cache, stats=stats)
    assert stats["cached_prompt_tokens"] == 0 and len(cache.entries) == 1
    again = run(model, PROMPTS, max_new_tokens=6, prefix_cache=cache, stats=stats)
    assert again == first and stats["cached_prompt_tokens"] == 10
    other = [p[:8] + [50, 51, 52] for p in PROMPTS[:2]]  # shares 8 tokens with the stored prefix
    assert run(model, other, max_new_tokens=6, prefix_cache=cache, stats=stats) == run(model, other, max_new_tokens=6)
    assert stats["cached_prompt_tokens"] == 8


def test_prefix_cache_keeps_a_few_slots():
    class Fake:
        def __init__(self, n):
            self.n = n

        def get_seq_length(self):
            return self.n

    cache = PrefixCache(slots=2)
    for start in (100, 200, 300):
        cache.store(list(range(start, start + 10)), Fake(10))
    assert [ids[0] for ids, _ in cache.entries] == [200, 300]
    cache.store(list(range(300, 320)), Fake(20))  # extends the last entry: replaces it
    assert [len(ids) for ids, _ in cache.entries] == [10, 20]


def test_sampling_is_seeded_and_rows_differ(model):
    same = [PROMPTS[0]] * 3
    a = run(model, same, max_new_tokens=10, temperature=1.5, seed=3)
    assert a == run(model, same, max_new_tokens=10, temperature=1.5, seed=3)
    assert len({tuple(r) for r in a}) > 1
    assert a != run(model, same, max_new_tokens=10, temperature=1.5, seed=4)


def test_banned_runs_are_never_written(model):
    free = run(model, PROMPTS[:1], max_new_tokens=16)[0]
    table = banned_runs([free], 3)
    steered = run(model, PROMPTS[:1], max_new_tokens=16, banned=table)[0]
    runs = {tuple(steered[i:i + 3]) for i in range(len(steered) - 2)}
    assert not runs & {tuple(free[i:i + 3]) for i in range(len(free) - 2)}
    assert steered[:2] == free[:2]  # nothing is banned before a run could start


def test_banned_runs_keep_allowed_runs():
    assert banned_runs([[1, 2, 3, 4]], 3, allowed=lambda run: 4 in run) == {(1, 2): {3}}


def test_storing_a_prefix_again_moves_it_without_a_copy():
    cache = PrefixCache(slots=2)
    first, second = object(), object()

    class Fake:
        def __init__(self, tag):
            self.tag = tag

    cache.store(list(range(10)), Fake(first))
    cache.store(list(range(50, 60)), Fake(second))
    stored = cache.entries[0][1]
    cache.store(list(range(10)), Fake(object()))
    assert [ids[0] for ids, _ in cache.entries] == [50, 0] and cache.entries[1][1] is stored


def first_repeat(tokens, n):
    """Index just past the first n-token run that occurs earlier in ``tokens`` (None if none)."""
    seen = set()
    for end in range(n, len(tokens) + 1):
        run = tuple(tokens[end - n:end])
        if run in seen:
            return end
        seen.add(run)
    return None


def test_a_looping_row_stops_where_it_repeats_itself(model):
    free = run(model, PROMPTS, max_new_tokens=40)
    looping = [row for row, tokens in enumerate(free) if first_repeat(tokens, 3) is not None]
    assert looping, "a 64-token random model loops within 40 greedy tokens"
    cut = run(model, PROMPTS, max_new_tokens=40, loop_run=3)
    for row, tokens in enumerate(free):
        end = first_repeat(tokens, 3)
        assert cut[row] == (tokens[:end] if end else tokens)  # the same tokens, up to the first repeat
    assert sum(map(len, cut)) < sum(map(len, free))
