# The two commands of the README, and the optional ones.
.PHONY: dev test bench package outbox

dev:        ## run the whole API locally on http://127.0.0.1:9000
	bash scripts/dev.sh

test:       ## install what is needed, start the local stack, run every test and check
	bash scripts/test.sh

bench:      ## benchmark report -> bench/report.md
	bash scripts/bench.sh

package:    ## arm64 release zips with cargo-lambda (needs zig and the aarch64 target)
	bash scripts/package.sh

outbox:     ## the mail the local SES accepted (make dev's stack; ARGS="--body --to ADDRESS --grep TEXT")
	bash scripts/outbox.sh $(ARGS)
