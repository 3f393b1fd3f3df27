#!/bin/sh
# One connection accepted by nc -l -e: read a line, answer it, note it for the console.
read -r line
echo "guest got: $line"
echo "handled: $line" > /tmp/handled
