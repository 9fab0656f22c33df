# deploy-postmortem — developer entry points. `make test` is what CI runs.
SWIFT ?= swift

.PHONY: deps build demo lint format test test-calendar test-deploy test-image bench bench-api bench-ui bench-postgres bench-kafka clean

deps:
	@scripts/install-deps

build: deps
	$(SWIFT) build

## The service on a throwaway local stack (PostgreSQL + mock Kafka, + Prometheus when installed)
## playing the deploy stories; prints the postmortems and the action-item events.
## ARGS=--keep-running keeps it up.
demo: deps
	$(SWIFT) run deploy-postmortem demo $(ARGS)

## The code style (.swift-format: swift-format's defaults, 120 columns, 4 spaces), strict:
## any finding fails. `make format` rewrites what it can.
lint:
	$(SWIFT) format lint --strict --recursive --parallel Sources Tests Package.swift

format:
	$(SWIFT) format format --in-place --recursive --parallel Sources Tests Package.swift

## Runs the whole suite: the style lint, Swift unit + integration tests (throwaway PostgreSQL,
## mock Kafka), the clock-reading suites at other dates, the deployment-file validation and the container image's runtime stage (as root).
test: deps lint
	$(SWIFT) build --build-tests
	# Serial: the suites start PostgreSQL clusters, mock Kafka clusters and serve processes;
	# in parallel on 2 cores, broker-recovery tests starved (about 4 min serially).
	$(SWIFT) test --skip-build --no-parallel
	@$(MAKE) --no-print-directory test-calendar
	@$(MAKE) --no-print-directory test-deploy
	@$(MAKE) --no-print-directory test-image

## The suites that read the wall clock again at a month/year end, a year on, a leap day and a DST
## change (datefudge; scripts/test-calendar says which suites and why). Needs the test build.
test-calendar:
	bash scripts/test-calendar

test-deploy:
	bash scripts/test-deploy

## The image's runtime stage without a Docker engine: debootstrap + chroot, release binary,
## --version, migrate and serve inside it (needs root; about 3 min plus the release build).
test-image:
	bash scripts/test-image

## End to end: deploy events/s, metric points/s vs psql \copy, rollback → postmortem.opened latency.
bench: deps
	$(SWIFT) run -c release deploy-postmortem-bench pipeline

## The /v1 list endpoints under wrk while the service ingests (10k postmortems, 50k action
## items seeded): requests/s and latency percentiles. Needs wrk (Debian package; not needed by make test).
bench-api: deps
	@command -v wrk >/dev/null || { echo "bench-api needs wrk: apt-get install wrk" >&2; exit 1; }
	$(SWIFT) run -c release deploy-postmortem-bench api $(ARGS)

## Each /ui page requested in turn by one logged-in client with 10k postmortems stored: p50, p95
## and max per page (printed, not asserted).
bench-ui: deps
	$(SWIFT) run -c release deploy-postmortem-bench ui $(ARGS)

## COPY throughput of the Postgres module against psql \copy (printed, not asserted).
bench-postgres: deps
	$(SWIFT) run -c release deploy-postmortem-bench copy

## KafkaConsumer throughput against kcat on the mock cluster (printed, not asserted).
bench-kafka: deps
	$(SWIFT) run -c release deploy-postmortem-bench kafka

clean:
	rm -rf .build
