-- Durable Megaport orders through POST /v4/networkdesign/buy, in megaportgo's shape.
-- Script arguments (after `--`): mode (`mcr` or `vxc`), thread count, name prefix, then for
-- `vxc` the uids of the MCRs to join in pairs (request i joins MCR i mod n to MCR i+1 mod n,
-- so VLANs spread over all of them).
dofile(debug.getinfo(1, "S").source:sub(2):match("^(.*/)") .. "report.lua")

local next_tid = 0
function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
end

local mode, stride, prefix, n = "mcr", 1, "mp", 0
local mcrs = {}
local headers = {}

function init(args)
  mode = args[1] or "mcr"
  stride = tonumber(args[2]) or 1
  prefix = args[3] or "mp"
  for i = 4, #args do mcrs[#mcrs + 1] = args[i] end
  n = tid or 0
  for k, v in pairs(wrk.headers) do headers[k] = v end
  headers["Content-Type"] = "application/json"
end

function request()
  local i = n
  n = n + stride
  local body
  if mode == "mcr" then
    body = string.format(
      '{"networkDesign":[{"locationId":61,"productName":"%s-%d","term":1,"productType":"MCR2","portSpeed":2500,"costCentre":"","config":{}}],"discountCodes":[]}',
      prefix, i)
  else
    local a = mcrs[(i % #mcrs) + 1]
    local b = mcrs[((i + 1) % #mcrs) + 1]
    body = string.format(
      '{"networkDesign":[{"productUid":"%s","associatedVxcs":[{"productName":"%s-%d","rateLimit":100,"term":1,"shutdown":false,"aEnd":{},"bEnd":{"productUid":"%s"}}]}],"discountCodes":[]}',
      a, prefix, i, b)
  end
  return wrk.format("POST", "/v4/networkdesign/buy", headers, body)
end
