# Shared body of the fixture buildpacks' bin/build, sourced with NAME set.
# Records what the lifecycle handed over (argv, cwd, uid/gid, env, buildpack plan) under <app>/out/,
# then behaves as the test asked through files in the app dir (cwd):
#   build/<NAME>/          copied into the buildpack's layers dir ($1): launch.toml, <layer>.toml, <layer>/…
#   hooks/<NAME>.build.sh  sourced (runs inside this build, with $1 $2 $3)
#   exit/<NAME>.build      exit status (default 0)
out="$PWD/out"
{
  echo "argc=$#"
  echo "arg1=$1"
  echo "arg2=$2"
  echo "arg3=$3"
  echo "cwd=$PWD"
  echo "uid=$(id -u)"
  echo "gid=$(id -g)"
} >"$out/$NAME.build.args"
env | LC_ALL=C sort >"$out/$NAME.build.env"
echo "$NAME" >>"$out/build.order"
cat "$3" >"$out/$NAME.build.plan"
echo "build output from $NAME"
if [ -d "$PWD/build/$NAME" ]; then cp -R "$PWD/build/$NAME/." "$1/"; fi
if [ -f "$PWD/hooks/$NAME.build.sh" ]; then . "$PWD/hooks/$NAME.build.sh"; fi
code=0
if [ -f "$PWD/exit/$NAME.build" ]; then code=$(cat "$PWD/exit/$NAME.build"); fi
exit "$code"
