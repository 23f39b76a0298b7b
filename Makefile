# The two commands of the README, and the optional ones.
.PHONY: dev test bench package template-checks outbox

dev:        ## run the whole API locally on http://127.0.0.1:9000 and the console on :9001
	bash scripts/dev.sh

test:       ## install what is needed, start the local stack, run every test and check
	bash scripts/test.sh

bench:      ## benchmark report -> bench/report.md
	bash scripts/bench.sh

package:    ## release zips (ARCH=arm64|x86_64, default arm64), tools installed, each zip smoke-tested; ~10 min from scratch, not in make test
	ARCH="$(or $(ARCH),arm64)" bash scripts/package.sh

template-checks: ## cfn-lint, sam validate and the translated-template checks (also run by make test)
	bash scripts/infra-checks.sh --static-only

outbox:     ## the mail the local SES accepted (make dev's stack; ARGS="--body --to ADDRESS --grep TEXT")
	bash scripts/outbox.sh $(ARGS)
