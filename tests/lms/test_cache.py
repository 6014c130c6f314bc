from lms.cache import FragmentCache


def test_fragment_lives_for_its_ttl_then_is_made_again():
    clock = [100.0]
    cache = FragmentCache(clock=lambda: clock[0])
    made = []
    make = lambda: made.append(1) or len(made)
    assert cache.get_or_make("k", 10, make) == 1
    assert cache.get_or_make("k", 10, make) == 1
    clock[0] += 11
    assert cache.get_or_make("k", 10, make) == 2


def test_invalidate_drops_everything_and_zero_ttl_never_caches():
    cache = FragmentCache()
    assert cache.get_or_make("k", 60, lambda: "old") == "old"
    cache.invalidate()
    assert cache.get_or_make("k", 60, lambda: "new") == "new"
    assert cache.get_or_make("z", 0, lambda: "a") == "a"
    assert cache.get_or_make("z", 0, lambda: "b") == "b"


def test_least_recently_used_entry_goes_first():
    cache = FragmentCache(maxsize=2)
    cache.get_or_make("a", 60, lambda: 1)
    cache.get_or_make("b", 60, lambda: 2)
    cache.get_or_make("a", 60, lambda: 9)  # a is fresh: used, not made
    cache.get_or_make("c", 60, lambda: 3)  # b goes
    assert cache.get_or_make("a", 60, lambda: 9) == 1
    assert cache.get_or_make("b", 60, lambda: 7) == 7


def test_every_cache_of_the_process_is_emptied_at_once():
    pages, forms = FragmentCache(), FragmentCache()
    pages.get_or_make("k", 60, lambda: "old page")
    forms.get_or_make("k", 60, lambda: "old form")
    FragmentCache.invalidate_all()
    assert pages.get_or_make("k", 60, lambda: "new page") == "new page"
    assert forms.get_or_make("k", 60, lambda: "new form") == "new form"


def test_the_text_kept_stays_within_its_bound_the_least_recently_used_going_first():
    cache = FragmentCache(maxsize=100, max_chars=10)
    cache.get_or_make("a", 60, lambda: "aaaa")
    cache.get_or_make("b", 60, lambda: b"bbbb")  # a body counts its bytes
    cache.get_or_make("a", 60, lambda: "new")  # used: a is the most recent now
    cache.get_or_make("c", 60, lambda: "cccc")  # 12 characters: b goes, not a
    assert cache.get("b") is None and cache.get("a") == "aaaa" and cache.get("c") == "cccc"
    cache.get_or_make("d", 60, lambda: "dd")  # 10: all three stay
    assert [cache.get(k) for k in "acd"] == ["aaaa", "cccc", "dd"]


def test_an_entry_made_again_counts_once_and_one_larger_than_the_bound_is_still_kept_alone():
    clock = [100.0]
    cache = FragmentCache(max_chars=10, clock=lambda: clock[0])
    cache.get_or_make("a", 10, lambda: "aaaaaa")
    clock[0] += 11  # a has expired: made again, its old text no longer counted
    cache.get_or_make("a", 60, lambda: "AAAAAA")
    cache.get_or_make("b", 60, lambda: "bbbb")
    assert cache.get("a") == "AAAAAA" and cache.get("b") == "bbbb"
    cache.get_or_make("big", 60, lambda: "x" * 50)
    assert cache.get("big") == "x" * 50 and cache.get("a") is None and cache.get("b") is None
    cache.invalidate()
    cache.get_or_make("e", 60, lambda: "eeeeeeeeee")
    assert cache.get("e") == "eeeeeeeeee"
