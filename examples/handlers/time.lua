-- time: the server's clock, to the caller alone.
--   /time  ->  * server time: 2026-12-04 18:02:59 UTC (unix 1796407379)
-- os.date is not available to handlers, so the date is worked out here
-- from os.time() (days since 1970 to a civil date).
local function civil(days)
  -- Howard Hinnant's days-to-civil algorithm.
  local z = days + 719468
  local era = (z >= 0 and z or z - 146096) // 146097
  local doe = z - era * 146097
  local yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
  local mp = (5 * doy + 2) // 153
  local d = doy - (153 * mp + 2) // 5 + 1
  local m = mp < 10 and mp + 3 or mp - 9
  if m <= 2 then y = y + 1 end
  return y, m, d
end

return {
  help = "show the server's time (UTC)",
  handle = function(ctx)
    local now = os.time()
    local y, m, d = civil(now // 86400)
    local s = now % 86400
    local text = string.format("server time: %04d-%02d-%02d %02d:%02d:%02d UTC (unix %d)",
      y, m, d, s // 3600, s % 3600 // 60, s % 60, now)
    ctx:reply({ type = "time", payload = { unix = now }, text = text })
  end,
}
