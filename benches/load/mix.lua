-- wrk script: every request a different combination of site, page,
-- language and consent state, cycling through all of them; prints a JSON
-- summary line at the end (soak.sh parses it).
local hosts = { "octoprint.org", "ispconfig.org", "simplyprint.io", "foosel.net" }
local paths = { "/privacy", "/privacy", "/privacy", "/", "/privacy/versions" }
local octoprint_only = { "/privacy/2018-05-22", "/privacy/2018-05-22?lang=de" }
local languages = { "de-DE,de;q=0.9,en;q=0.8", "en-US,en;q=0.9", "fr-FR,fr;q=0.9", "" }
local consents = {
  {},
  { ["Cookie"] = "carbon-disable=true" },
  { ["Cookie"] = "_session=abcdef0123456789; carbon-disable=true; ga-disable-G-PLACEHOLDER=true" },
  { ["Sec-GPC"] = "1" },
}

local requests = {}

function init(args)
  for _, host in ipairs(hosts) do
    local own = {}
    for _, p in ipairs(paths) do own[#own + 1] = p end
    if host == "octoprint.org" then
      for _, p in ipairs(octoprint_only) do own[#own + 1] = p end
    end
    for _, path in ipairs(own) do
      for _, lang in ipairs(languages) do
        for _, consent in ipairs(consents) do
          local headers = { ["Host"] = host, ["Accept-Encoding"] = "gzip, br" }
          if lang ~= "" then headers["Accept-Language"] = lang end
          for k, v in pairs(consent) do headers[k] = v end
          requests[#requests + 1] = wrk.format("GET", path, headers)
        end
      end
    end
  end
  -- Each thread starts at a different place in the cycle.
  counter = math.random(#requests)
end

function request()
  counter = counter % #requests + 1
  return requests[counter]
end

-- done(): the JSON summary line.
dofile("benches/load/report.lua")
