-- One new VPC per request. Each request gets a /28 of 10.0.0.0/8 and a name derived from the
-- same block number; thread t of n uses blocks t, t+n, t+2n, ... so threads never collide.
-- Script arguments (after `--`): api ("do" or "ec2"), thread count, name prefix.
dofile(debug.getinfo(1, "S").source:sub(2):match("^(.*/)") .. "report.lua")

local next_tid = 0
function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
end

local api, stride, prefix, n = "do", 1, "b", 0
local headers = {}

function init(args)
  api = args[1] or "do"
  stride = tonumber(args[2]) or 1
  prefix = args[3] or "b"
  n = tid or 0
  -- wrk.format uses the headers it is given instead of wrk.headers (the -H ones), so merge.
  for k, v in pairs(wrk.headers) do headers[k] = v end
  headers["Content-Type"] = api == "ec2" and "application/x-www-form-urlencoded" or "application/json"
end

local function cidr(block)
  -- 2^20 /28 blocks in 10.0.0.0/8.
  return string.format("10.%d.%d.%d/28",
    math.floor(block / 4096) % 256, math.floor(block / 16) % 256, (block % 16) * 16)
end

function request()
  local block = n
  n = n + stride
  if api == "ec2" then
    local range = cidr(block):gsub("/", "%%2F")
    return wrk.format("POST", "/", headers, "Action=CreateVpc&Version=2016-11-15&CidrBlock=" .. range)
  end
  return wrk.format("POST", "/v2/vpcs", headers, string.format(
    '{"name":"%s-%d","region":"nyc1","ip_range":"%s"}', prefix, block, cidr(block)))
end
