-- roll: dice for the whole room. `/roll 2d6` (or {"type":"roll","payload":"2d6"})
-- shows everyone in the caller's room who rolled what:
--   * alice rolls 2d6: 3 + 5 = 8
local MAX_DICE, MAX_SIDES = 100, 1000

return {
  help = "roll dice for your room, e.g. /roll 2d6 (default 1d6)",
  handle = function(ctx, payload)
    local spec = payload
    if spec == nil or spec == "" then spec = "1d6" end
    if type(spec) ~= "string" then
      return ctx:error("bad-args", "usage: /roll NdS, e.g. /roll 2d6")
    end
    local n, sides = spec:match("^(%d*)d(%d+)$")
    n, sides = tonumber(n ~= "" and n or "1"), tonumber(sides)
    if not n or not sides or n < 1 or n > MAX_DICE or sides < 2 or sides > MAX_SIDES then
      return ctx:error("bad-args", "usage: /roll NdS with N 1-" .. MAX_DICE .. " and S 2-" .. MAX_SIDES)
    end
    if not ctx.room then
      return ctx:error("not-in-room", "join a room first")
    end
    local rolls, total = {}, 0
    for i = 1, n do
      rolls[i] = math.random(sides)
      total = total + rolls[i]
    end
    local text = string.format("%s rolls %dd%d: %s", ctx.nick, n, sides, table.concat(rolls, " + "))
    if n > 1 then text = text .. " = " .. total end
    ctx:broadcast({
      type = "roll",
      payload = { nick = ctx.nick, room = ctx.room, dice = spec, rolls = rolls, total = total },
      text = text,
    })
  end,
}
