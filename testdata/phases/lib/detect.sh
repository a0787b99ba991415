# Shared body of the fixture buildpacks' bin/detect, sourced with NAME set.
# Records what the lifecycle handed over (argv, cwd, uid/gid, env) under <app>/out/, then behaves as
# the test asked through files in the app dir (cwd):
#   plan/<NAME>.toml   copied to the build plan path ($2)
#   exit/<NAME>.detect exit status (default 0 = pass; 100 = fail; anything else = error)
out="$PWD/out"
{
  echo "argc=$#"
  echo "arg1=$1"
  echo "arg2=$2"
  echo "cwd=$PWD"
  echo "uid=$(id -u)"
  echo "gid=$(id -g)"
} >"$out/$NAME.detect.args"
env | LC_ALL=C sort >"$out/$NAME.detect.env"
echo run >>"$out/$NAME.detect.count"
echo "detect output from $NAME"
if [ -f "$PWD/plan/$NAME.toml" ]; then cat "$PWD/plan/$NAME.toml" >"$2"; fi
code=0
if [ -f "$PWD/exit/$NAME.detect" ]; then code=$(cat "$PWD/exit/$NAME.detect"); fi
if [ "$code" = 100 ]; then echo "Opted out of detection"; fi
exit "$code"
