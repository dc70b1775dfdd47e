-- Case intake through Open311 GeoReport v2 (form-encoded, api_key).
dofile("bench/lua/common.lua")
request = function()
  local body = "api_key=" .. env("OPEN311_KEY") .. "&service_code=env.garbage&address_id=" ..
    env("BENCH_BUILDING") .. "&description=" .. pick(titles) .. "&last_name=%E7%8E%8B&first_name=x"
  return wrk.format("POST", "/open311/v2/requests.json",
    { ["Content-Type"] = "application/x-www-form-urlencoded" }, body)
end
