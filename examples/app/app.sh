#!/bin/sh
# The example app: prints who and where it is, what the buildpacks set up, and its arguments.
echo "Hello from the example app!"
echo "  runtime: $(hello-runtime --version)"
echo "  GREETING=${GREETING:-<unset>}  RUNTIME_HOME=${RUNTIME_HOME:-<unset>}  BUILT_AT=${BUILT_AT:-<unset>}"
echo "  cwd: $(pwd)"
echo "  args: $*"
