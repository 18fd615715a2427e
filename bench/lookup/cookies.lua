-- wrk script for bench/lookup.sh: each request carries the visitor cookie
-- of the next id in a file (one id per line), round-robin.
--
--   wrk -s bench/lookup/cookies.lua URL -- IDS_FILE

local ids = {}
local n = 0
local i = 0

function init(args)
    for line in io.lines(args[1]) do
        n = n + 1
        ids[n] = line
    end
    if n == 0 then
        error("no ids in " .. args[1])
    end
end

function request()
    i = i % n + 1
    return wrk.format("GET", nil, { ["Cookie"] = "_spid=" .. ids[i] })
end
