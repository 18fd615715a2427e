-- wrk script for bench/collector.sh: a fixed pool of distinct, realistic
-- requests, built once in init() and sent round-robin by request().
--
--   wrk -s bench/collector/requests.lua URL -- MODE PATH POOL [DUMP] [VISITOR]
--
-- MODE  get   : GET PATH?<pixel query>        (variants A, B, C)
--       track : POST PATH, one Segment track event as JSON (~340 bytes; D)
--       batch : POST PATH, {"batch":[100 events], ...} (E)
--       sp_get: GET PATH?<Snowplow page view>, as Snowplow's browser
--               tracker sends it to /i: e=pv, url, page, refr, eid, duid,
--               sid, dtm/stm, screen fields and the web_page context as
--               cx (base64url) (F)
--       sp_tp2: POST PATH, a tp2 payload_data body with that one page
--               view, every value a string, the context as co (JSON, the
--               v4 tracker's default for POST) (G)
--       matomo: GET PATH?<matomo.js page view>: idsite=1&rec=1,
--               action_name, url, urlref, _id (16 hex digits), r, h/m/s,
--               res, pv_id and the plugin flags (H)
--       plausible: POST PATH, Plausible's script's pageview JSON
--               {"n","u","d","r","w","p"} (sent as text/plain) (I)
-- PATH  the request path (for GET modes: the location, the query is
--       appended)
-- POOL  how many distinct requests to cycle through
-- DUMP  optional: a file to write the first request's body (or query) to,
--       so the caller can replay it with curl; DUMP.avg gets the mean size
--       in bytes of the pool's bodies (queries for get) and DUMP.cookie
--       the first request's Cookie header value
-- VISITOR optional: 1 adds a visitor cookie, _spid=<id>, to every request's
--       Cookie (a returning visitor, as browsers send it once the collector
--       has set it); 0 or absent: no visitor cookie (a first visit on every
--       request: the collector issues a new id and a Set-Cookie each time)
--
-- Headers given with wrk -H (Cookie, X-Forwarded-For, Origin, ...) are kept
-- on every request; each request adds its own User-Agent and Referer.  The
-- visitor cookie is appended to the Cookie given with -H (the consent
-- cookies), so a request carries ONE Cookie header: wrk.format() sends the
-- table it is given, a second "Cookie" key cannot exist in it.  The id is
-- the visit's anonymousId (a random UUID from the seed) written as the
-- collector writes its ids: 16 bytes in base64url without padding, 22
-- characters, the last one of "AQgw" (ngx_http_spoor_visitor.c); deriving
-- it from the UUID draws nothing from the generator, so the pool is the
-- same request for request with and without it.  The
-- pool is generated from a fixed seed, so every variant that uses the same
-- MODE sees the same requests in the same order, and the k-th request of
-- sp_get, sp_tp2, matomo and plausible describes the k-th page view of get
-- (the same page, referrer, agent and visitor).  Identical requests would
-- make both logs compress unrealistically well; distinct ones keep the
-- log-size figures honest.

local pool, n, i = {}, 0, 0

local agents = {
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67",
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.113 Mobile Safari/537.36",
}
local products = { "Widget", "Gadget", "Sprocket", "Gizmo", "Doohickey", "Flange", "Bracket", "Spindle" }
local categories = { "widgets", "gadgets", "hardware", "garden", "kitchen" }
local searches = {
  "https://search.example.test/?q=",
  "https://news.example.test/articles/",
  "https://social.example.test/post/",
}
local events = { "Product Viewed", "Product Added", "Checkout Started", "Order Completed", "Signed Up" }

local function pick(t) return t[math.random(#t)] end

local function uuid()
  return string.format("%08x-%04x-4%03x-%04x-%04x%08x",
    math.random(0, 0x7fffffff), math.random(0, 0xffff), math.random(0, 0xfff),
    0x8000 + math.random(0, 0x3fff), math.random(0, 0xffff), math.random(0, 0x7fffffff))
end

local function pct(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

-- one page view on the shop: what every mode describes
local function visit()
  local id = math.random(1, 5000)
  local prod = pick(products)
  local v = {
    id = id, product = prod, category = pick(categories),
    price = string.format("%d.%02d", math.random(2, 400), math.random(0, 99)),
    url = "https://shop.example.test/products/" .. id .. "?ref=news",
    ref = pick(searches) .. prod:lower() .. "s",
    title = prod .. " " .. id .. " \226\128\148 Example Shop",
    aid = uuid(), ua = pick(agents),
  }
  if math.random() < 0.3 then v.uid = "user-" .. math.random(10000, 99999) end
  return v
end

local function pixel_query(v)
  local q = "e=page&u=" .. pct(v.url) .. "&r=" .. pct(v.ref) .. "&t=" .. pct(v.title)
         .. "&aid=" .. v.aid
  if v.uid then q = q .. "&uid=" .. v.uid end
  return q .. "&p.category=" .. v.category .. "&p.price=" .. v.price
end

local ms0 = 1714557600000  -- 2024-05-01T10:00:00Z
local function iso(ms)
  return os.date("!%Y-%m-%dT%H:%M:%S", math.floor(ms / 1000)) .. string.format(".%03dZ", ms % 1000)
end

local function event_json(v, ms)
  local ids = '"anonymousId":"' .. v.aid .. '"'
  if v.uid then ids = ids .. ',"userId":"' .. v.uid .. '"' end
  return '{"type":"track","event":"' .. pick(events) .. '",' .. ids
    .. ',"messageId":"' .. uuid() .. '","timestamp":"' .. iso(ms) .. '"'
    .. ',"properties":{"product_id":"sku-' .. v.id .. '","price":' .. v.price
    .. ',"category":"' .. v.category .. '"},"context":{"page":{"path":"/products/' .. v.id
    .. '"},"locale":"en-GB"}}'
end

local b64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

-- a string in base64url without padding (Snowplow's cx / ue_px)
local function b64url_of(str)
  local out = {}
  for k = 1, #str, 3 do
    local a, b, c = str:byte(k, k + 2)
    local x = a * 65536 + (b or 0) * 256 + (c or 0)
    local nch = c and 4 or (b and 3 or 2)
    for j = 1, nch do
      local d = math.floor(x / 2 ^ (6 * (4 - j))) % 64
      out[#out + 1] = b64url:sub(d + 1, d + 1)
    end
  end
  return table.concat(out)
end

-- Snowplow: the fields the browser tracker (v3/v4, defaults) puts on a
-- page view; contexts is the contexts envelope with the web_page entity
-- (on by default) as JSON text
local screens = { {"1920x1080", "1280x720", "1265x3400"}, {"1440x900", "1440x789", "1425x5120"},
                  {"390x844", "390x664", "390x7410"}, {"2560x1440", "1700x1300", "1685x4200"} }
local function snowplow_fields(v, ms)
  local sc = pick(screens)
  local contexts = '{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0",'
    .. '"data":[{"schema":"iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0",'
    .. '"data":{"id":"' .. uuid() .. '"}}]}'
  local f = {
    {"e", "pv"}, {"url", v.url}, {"page", v.title}, {"refr", v.ref},
    {"eid", uuid()}, {"tv", "js-3.23.0"}, {"tna", "sp"}, {"aid", "shop"}, {"p", "web"},
    {"cookie", "1"}, {"cs", "UTF-8"}, {"lang", "en-GB"}, {"res", sc[1]}, {"cd", "24"},
    {"tz", "Europe/London"}, {"dtm", tostring(ms)}, {"vp", sc[2]}, {"ds", sc[3]},
    {"vid", tostring(math.random(1, 12))}, {"sid", uuid()}, {"duid", v.aid},
  }
  if v.uid then f[#f + 1] = {"uid", v.uid} end
  return f, contexts
end

local function snowplow_query(v, ms)
  local f, contexts = snowplow_fields(v, ms)
  local q = { "stm=" .. (ms + 20) }
  for _, kv in ipairs(f) do q[#q + 1] = kv[1] .. "=" .. pct(kv[2]) end
  q[#q + 1] = "cx=" .. b64url_of(contexts)
  return table.concat(q, "&")
end

local function json_str(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    if c == '"' then return '\\"' elseif c == "\\" then return "\\\\" end
    return string.format("\\u%04x", c:byte())
  end) .. '"'
end

local function snowplow_tp2(v, ms)
  local f, contexts = snowplow_fields(v, ms)
  local m = {}
  for _, kv in ipairs(f) do m[#m + 1] = json_str(kv[1]) .. ":" .. json_str(kv[2]) end
  m[#m + 1] = '"co":' .. json_str(contexts)
  m[#m + 1] = '"stm":"' .. (ms + 20) .. '"'
  return '{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4","data":[{'
    .. table.concat(m, ",") .. '}]}'
end

-- Matomo: matomo.js's page view request (trackPageView, defaults)
local function matomo_query(v, ms)
  local t = os.date("!*t", math.floor(ms / 1000))
  local q = "action_name=" .. pct(v.title) .. "&idsite=1&rec=1&r=" .. string.format("%06d", math.random(0, 999999))
    .. "&h=" .. t.hour .. "&m=" .. t.min .. "&s=" .. t.sec
    .. "&url=" .. pct(v.url) .. "&urlref=" .. pct(v.ref)
    .. "&_id=" .. v.aid:gsub("-", ""):sub(1, 16) .. "&_idn=0&_refts=0&send_image=1"
    .. "&pdf=1&qt=0&realp=0&wma=0&fla=0&java=0&ag=0&cookie=1&res=" .. pick(screens)[1]
    .. "&pv_id=" .. string.format("%06x", math.random(0, 0xffffff))
    .. "&pf_net=0&pf_srv=" .. math.random(5, 80) .. "&pf_tfr=" .. math.random(1, 20)
  if v.uid then q = q .. "&uid=" .. v.uid end
  return q
end

-- Plausible: the script's pageview (plausible.js: n, u, d, r, w, and
-- custom properties as p)
local function plausible_json(v)
  return '{"n":"pageview","u":' .. json_str(v.url) .. ',"d":"shop.example.test","r":' .. json_str(v.ref)
    .. ',"w":' .. pick({ 1920, 1440, 390, 1280 })
    .. ',"p":{"category":' .. json_str(v.category) .. ',"price":"' .. v.price .. '"}}'
end

-- the 16 bytes of a UUID (its 32 hex digits) in base64url, no padding
local function visitor_id(aid)
  local hex = aid:gsub("-", "")
  local bits = {}
  for k = 1, #hex do
    local d = tonumber(hex:sub(k, k), 16)
    for b = 3, 0, -1 do bits[#bits + 1] = math.floor(d / 2 ^ b) % 2 end
  end
  while #bits % 6 ~= 0 do bits[#bits + 1] = 0 end   -- 128 bits -> 132
  local out = {}
  for k = 1, #bits, 6 do
    local x = 0
    for b = 0, 5 do x = x * 2 + bits[k + b] end
    out[#out + 1] = b64url:sub(x + 1, x + 1)
  end
  return table.concat(out)
end

local with_visitor = false

local function headers(v)
  local h, ck = {}, nil
  for k, val in pairs(wrk.headers) do
    h[k] = val
    if k:lower() == "cookie" then ck = k end
  end
  h["User-Agent"] = v.ua
  h["Referer"] = v.url
  if with_visitor then
    local c = "_spid=" .. visitor_id(v.aid)
    if ck then h[ck] = h[ck] .. "; " .. c else h["Cookie"] = c end
  end
  return h
end

local function cookie_of(h)
  for k, val in pairs(h) do
    if k:lower() == "cookie" then return val end
  end
  return ""
end

function init(args)
  local mode, path, size, dump = args[1], args[2], tonumber(args[3] or "1000"), args[4]
  with_visitor = args[5] == "1"
  math.randomseed(20240501)
  local first, total, first_cookie = nil, 0, nil
  -- the other trackers' modes draw their visits first, so that their
  -- extra draws (ids, screens...) come after: their k-th request is the
  -- get mode's k-th page view, by the same visitor
  local visits = nil
  if mode == "sp_get" or mode == "sp_tp2" or mode == "matomo" or mode == "plausible" then
    visits = {}
    for k = 1, size do visits[k] = visit() end
  end
  for k = 1, size do
    local v = visits and visits[k] or visit()
    local ms = ms0 + k * 1000
    local req, body
    local h = headers(v)
    first_cookie = first_cookie or cookie_of(h)
    if mode == "get" or mode == "sp_get" or mode == "matomo" then
      local q = (mode == "get" and pixel_query(v)) or (mode == "sp_get" and snowplow_query(v, ms))
                or matomo_query(v, ms)
      body = nil
      req = wrk.format("GET", path .. "?" .. q, h)
      first = first or q
      total = total + #q
    elseif mode == "sp_tp2" then
      body = snowplow_tp2(v, ms)
      req = wrk.format("POST", path, h, body)
      first = first or body
    elseif mode == "plausible" then
      body = plausible_json(v)
      req = wrk.format("POST", path, h, body)
      first = first or body
    elseif mode == "track" then
      body = event_json(v, ms):sub(1, -2) .. ',"writeKey":"demo-key"}'
      req = wrk.format("POST", path, h, body)
      first = first or body
    elseif mode == "batch" then
      local ev = {}
      for j = 1, 100 do
        local w = j == 1 and v or visit()
        ev[j] = event_json(w, ms + j * 37)
      end
      body = '{"batch":[' .. table.concat(ev, ",") .. '],"writeKey":"demo-key","sentAt":"'
        .. iso(ms + 4000) .. '"}'
      req = wrk.format("POST", path, h, body)
      first = first or body
    else
      error("collector requests.lua: unknown mode " .. tostring(mode))
    end
    if body then total = total + #body end
    pool[k] = req
  end
  n = size
  if dump and dump ~= "" then
    local f = assert(io.open(dump, "w"))
    f:write(first)
    f:close()
    f = assert(io.open(dump .. ".avg", "w"))
    f:write(string.format("%.0f\n", total / size))
    f:close()
    f = assert(io.open(dump .. ".cookie", "w"))
    f:write(first_cookie)
    f:close()
  end
end

function request()
  i = i % n + 1
  return pool[i]
end
