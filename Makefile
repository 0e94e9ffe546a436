# Two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
FLASK := $(BIN)/flask --app core.app
VENDOR := core/static/vendor
INSTALLED := $(VENV)/.installed

.PHONY: install run test test-fast lint bench assets translations clean

install: $(INSTALLED) $(VENDOR)/.stamp translations

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# htmx, Pico CSS, Apache ECharts and Swagger UI come from the npm registry and are served locally.
assets: $(VENDOR)/.stamp
$(VENDOR)/.stamp: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)/swagger-ui
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/
	cp node_modules/@picocss/pico/css/pico.min.css $(VENDOR)/
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui-standalone-preset.js \
	   node_modules/swagger-ui-dist/swagger-ui.css $(VENDOR)/swagger-ui/
	touch $@

translations: $(INSTALLED)
	$(BIN)/pybabel compile --statistics -d core/translations

run: install
	$(FLASK) db upgrade
	$(FLASK) demo load
	@echo
	@echo "  Suite is running at http://127.0.0.1:5000/  (API: http://127.0.0.1:5000/api/v1/docs)"
	@echo "  Demo logins (password demo1234): admin, sales_rep, sales_rep2, sales_manager,"
	@echo "  finance, warehouse, purchasing, production, management"
	@echo
	$(FLASK) run --host 127.0.0.1 --port 5000

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: install lint
	$(BIN)/pytest -q

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) node_modules $(VENDOR) instance
