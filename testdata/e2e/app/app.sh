#!/bin/sh
# The end-to-end app: what the launcher set up for it, where it runs, its arguments.
echo "app: $(greet app) mode=$RUNTIME_MODE execd=$EXECD_VAR cwd=$(pwd) args=$*"
