#!/bin/bash
echo "web: greeting=${GREETING:-} mode=${RUNTIME_MODE:-} deps=$(ls "${DEPS_HOME:-/nonexistent}" | tr '\n' ' ')"
runtime-info
