-- wrk script for bench/freshness.sh: a steady pixel load.  Each connection
-- sends a page view, then waits DELAY ms (wrk's delay()), so the rate is
-- about CONNECTIONS * 1000 / DELAY requests/s whatever the latency.  The
-- requests cycle through POOL returning visitors (a visitor cookie each),
-- so the load updates existing profiles instead of making new ones.
--
--   wrk -s bench/freshness/load.lua URL -- DELAY POOL
local pool, n, i, d = {}, 0, 0, 1

local b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

-- a visitor id as the module makes them: 16 bytes, base64url, 22 chars.
-- MINSTD (x * 48271 mod 2^31 - 1) keeps every product below 2^53, so
-- LuaJIT's doubles compute it exactly: POOL ids are POOL distinct ids
-- (the LCG before, x * 1103515245 on 31-bit x, lost its low bits in the
-- doubles and gave 608 distinct ids for a POOL of 5,000).
local function vid(k)
  local s, x = {}, k * 2654435761 % 2147483647 + 1
  for j = 1, 21 do
    x = x * 48271 % 2147483647
    local c = math.floor(x / 1024) % 64 + 1
    s[j] = b64:sub(c, c)
  end
  s[22] = "A"                  -- the last char holds 2 bits: low 4 zero
  return table.concat(s)
end

function init(args)
  d = tonumber(args[1] or "1")
  n = tonumber(args[2] or "5000")
  for k = 1, n do
    pool[k] = wrk.format("GET", "/t.gif?e=page&u=https%3A%2F%2Fshop.example%2Fp%2F" .. (k % 97)
      .. "&p.category=c" .. (k % 13), { ["Cookie"] = "_spid=" .. vid(k) })
  end
end

function delay()
  return d
end

function request()
  i = i % n + 1
  return pool[i]
end
