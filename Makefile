# deploy-postmortem — developer entry points. `make test` is what CI runs.
SWIFT ?= swift

.PHONY: deps build test test-deploy bench-postgres bench-kafka clean

deps:
	@scripts/install-deps

build: deps
	$(SWIFT) build

## Runs the whole suite: Swift unit + integration tests (throwaway PostgreSQL, mock Kafka)
## and the deployment-file validation.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	@$(MAKE) --no-print-directory test-deploy

test-deploy:
	bash scripts/test-deploy

## COPY throughput of the Postgres module against psql \copy (printed, not asserted).
bench-postgres: deps
	$(SWIFT) run -c release deploy-postmortem-bench copy

## KafkaConsumer throughput against kcat on the mock cluster (printed, not asserted).
bench-kafka: deps
	$(SWIFT) run -c release deploy-postmortem-bench kafka

clean:
	rm -rf .build
