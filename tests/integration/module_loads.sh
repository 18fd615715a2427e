#!/usr/bin/env bash
# The built module loads into the stock nginx, nginx serves requests with it,
# and nginx -t really rejects a module it cannot load.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

spoor_require_env SPOOR_MODULE NGINX
[ -f "$SPOOR_MODULE" ] || spoor_fail "no module at $SPOOR_MODULE"

# 1. nginx -t accepts the config that loads the module
prefix=$(spoor_prefix_new)
port=$(spoor_free_port)
spoor_write_conf "$prefix" "$port" "load_module $SPOOR_MODULE;"
if ! out=$(spoor_nginx "$prefix" -t 2>&1); then
    printf '%s\n' "$out" >&2
    spoor_fail "nginx -t with load_module $SPOOR_MODULE"
fi
spoor_ok "nginx -t loads the module"

# 2. the .so really is ngx_http_spoor_module: loading it twice is refused
#    with the module's name
prefix_twice=$(spoor_prefix_new)
spoor_write_conf "$prefix_twice" "$port" "load_module $SPOOR_MODULE;
load_module $SPOOR_MODULE;"
if out=$(spoor_nginx "$prefix_twice" -t 2>&1); then
    spoor_fail "nginx -t accepted the module loaded twice"
fi
grep -q 'module "ngx_http_spoor_module" is already loaded' <<<"$out" \
    || { printf '%s\n' "$out" >&2; spoor_fail "unexpected error for a double load_module"; }
spoor_ok "module registers as ngx_http_spoor_module"

# 3. nginx starts with the module and answers
spoor_nginx_start "$prefix" "$port" || spoor_fail "nginx did not start"
code=$(spoor_http_code "http://127.0.0.1:$port/health")
[ "$code" = 200 ] || { spoor_dump_log "$prefix"; spoor_fail "/health answered $code, expected 200"; }
body=$(curl -sS --max-time 10 "http://127.0.0.1:$port/health")
[ "$body" = ok ] || spoor_fail "/health body '$body', expected 'ok'"
spoor_ok "nginx with the module answers /health with 200"

if grep -E '\[(emerg|alert|crit)\]' "$prefix/logs/error.log" >&2; then
    spoor_fail "error log has emerg/alert/crit entries"
fi
spoor_nginx_stop "$prefix" || spoor_fail "nginx did not quit"
spoor_ok "nginx quit cleanly"

# 4. the check can fail: a module path that does not exist
prefix_bad=$(spoor_prefix_new)
spoor_write_conf "$prefix_bad" "$port" "load_module $prefix_bad/no_such_module.so;"
if out=$(spoor_nginx "$prefix_bad" -t 2>&1); then
    spoor_fail "nginx -t accepted a nonexistent module"
fi
grep -q 'dlopen' <<<"$out" || { printf '%s\n' "$out" >&2; spoor_fail "unexpected error for a missing module"; }
spoor_ok "nginx -t rejects a nonexistent module"
