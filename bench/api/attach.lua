-- One new partner attachment per request, on the VPC given as the first script argument, with
-- a name unique per thread and request (thread t of n uses t, t+n, t+2n, ...).
-- Script arguments (after `--`): VPC id, thread count, name prefix.
dofile(debug.getinfo(1, "S").source:sub(2):match("^(.*/)") .. "report.lua")

local next_tid = 0
function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
end

local vpc, stride, prefix, n = "", 1, "pa", 0
local headers = {}

function init(args)
  vpc = args[1]
  stride = tonumber(args[2]) or 1
  prefix = args[3] or "pa"
  n = tid or 0
  for k, v in pairs(wrk.headers) do headers[k] = v end
  headers["Content-Type"] = "application/json"
end

function request()
  local i = n
  n = n + stride
  return wrk.format("POST", "/v2/partner_network_connect/attachments", headers, string.format(
    '{"name":"%s-%d","region":"nyc","connection_bandwidth_in_mbps":1000,"naas_provider":"MEGAPORT","vpc_ids":["%s"]}',
    prefix, i, vpc))
end
