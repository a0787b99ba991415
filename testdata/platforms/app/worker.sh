#!/bin/bash
echo "worker: queue=$1 greeting=${GREETING:-} uid=$(id -u)"
