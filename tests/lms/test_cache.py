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
