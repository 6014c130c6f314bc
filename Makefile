# Kompetanseportalen: `make run` serves the demo, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := lms
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install translations messages demo vendor-css bench mutants clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall whenever the dependencies or their pins change.
$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

install: $(VENV)/.installed translations

translations: $(VENV)/.installed
	@for dir in lms/translations catalog/translations events/translations lighthouse/translations; do \
	  if [ -d $$dir ]; then $(BIN)/pybabel --quiet compile -d $$dir -D messages >/dev/null; fi; done

demo: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load

run: demo
	@$(BIN)/flask demo accounts
	$(BIN)/flask run --host $(HOST) --port $(PORT)

# ical.js, Thunderbird's iCalendar parser, reads the calendar feeds in the tests
# (pinned in package.json); without npm those checks are skipped, not failed.
node_modules/.installed: package.json
	@if command -v npm >/dev/null; then \
	  npm install --no-save --ignore-scripts --no-audit --no-fund && touch $@ \
	    || echo "npm install failed: the ical.js checks of the calendar feeds will be skipped"; \
	else echo "npm not found: the ical.js checks of the calendar feeds will be skipped"; fi

test: install node_modules/.installed
	$(BIN)/ruff check .
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest -q
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== what depends on the database, again on $$TEST_DATABASE_URL =="; \
	  $(BIN)/python -m pytest -q -m "not db_independent"; \
	else echo "TEST_DATABASE_URL is not set: the PostgreSQL run is skipped."; fi

# Re-extract the bokmål source strings of each package into its catalogues:
# nynorsk (nn) and English (en); a catalogue that does not exist yet is begun.
LOCALES := nn en
messages: $(VENV)/.installed
	@for pkg in lms catalog events lighthouse; do \
	  $(BIN)/pybabel --quiet extract -F babel.cfg -k _l -k lazy_gettext -o $$pkg/translations/messages.pot $$pkg || exit 1; \
	  for lang in $(LOCALES); do \
	    if [ -f $$pkg/translations/$$lang/LC_MESSAGES/messages.po ]; then \
	      $(BIN)/pybabel --quiet update -i $$pkg/translations/messages.pot -d $$pkg/translations -l $$lang || exit 1; \
	    else $(BIN)/pybabel --quiet init -i $$pkg/translations/messages.pot -d $$pkg/translations -l $$lang || exit 1; fi; \
	  done; done

# Refresh the vendored Designsystemet CSS from npm (pinned in package.json).
vendor-css:
	npm install --no-save --ignore-scripts
	cp node_modules/@digdir/designsystemet-css/dist/src/index.css lms/static/vendor/designsystemet/designsystemet.css
	cp node_modules/@digdir/designsystemet-css/dist/theme/designsystemet.css lms/static/vendor/designsystemet/theme.css
	cp node_modules/@digdir/designsystemet-css/LICENSE lms/static/vendor/designsystemet/LICENSE

bench: install
	$(BIN)/python -m bench.run

# Mutation testing: each rule module, then the tests that exercise it. Add the
# rule modules of later features here. Not part of `make test`; the survivors
# and what kills them are in tests/MUTANTS.md.
MUTANT_MODULES := \
  catalog/enrollment/operations.py=tests/catalog/test_enrollment.py,tests/catalog/test_enrollment_rules.py,tests/catalog/test_enrollment_isolation.py,tests/catalog/test_attendance_and_completion.py,tests/catalog/test_offering_pages.py,tests/catalog/test_enrollment_pages.py,tests/catalog/test_onboarding_pages.py,tests/catalog/test_calendar.py,tests/lms/test_front_page.py \
  lighthouse/bookings/operations.py=tests/lighthouse/test_bookings.py,tests/lighthouse/test_booking_pages.py,tests/lighthouse/test_booking_mails.py,tests/lighthouse/test_profiles.py,tests/lighthouse/test_booking_calendar.py,tests/lms/test_front_page.py \
  lighthouse/profiles/operations.py=tests/lighthouse/test_profiles.py,tests/lighthouse/test_overview.py \
  events/operations.py=tests/events/test_feed_tokens.py,tests/events/test_feed_views.py,tests/events/test_calendar.py,tests/events/test_sequence.py \
  lms/auth/operations.py=tests/lms/test_auth.py,tests/lms/test_security.py,tests/lms/test_sessions.py \
  lms/auth/reset.py=tests/lms/test_password_reset.py \
  catalog/networks/operations.py=tests/catalog/test_networks.py,tests/catalog/test_network_rounds.py,tests/catalog/test_network_gathering_edit.py,tests/catalog/test_network_page_cache.py,tests/catalog/test_plan_evidence_sources.py,tests/catalog/test_network_composition.py,tests/catalog/test_network_admin.py,tests/catalog/test_network_gatherings.py,tests/catalog/test_network_figures.py,tests/catalog/test_network_composing.py \
  catalog/networks/composition.py=tests/catalog/test_network_composition.py \
  catalog/parents/operations.py=tests/catalog/test_parents.py \
  lms/plans/operations.py=tests/lms/test_plans.py,tests/lms/test_plan_editing.py,tests/lms/test_plan_items.py,tests/lms/test_plan_milestones_and_lists.py,tests/lms/test_plan_versions.py

$(VENV)/.installed-mutation: $(VENV)/.installed
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test,mutation]'
	touch $@

mutants: install $(VENV)/.installed-mutation
	$(BIN)/python -m tests.mutants $(MUTANT_MODULES)

clean:
	rm -rf $(VENV) instance .pytest_cache mutants
