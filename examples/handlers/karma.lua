-- karma: `/karma alice++`, `/karma bob--`, `/karma alice` (or the JSON
-- payload "alice++"). Scores live in this file's own table: they survive
-- between calls, not a reload or restart.
local scores = {}

local function show(ctx, who, text)
  ctx:broadcast({ type = "karma", payload = { nick = who, karma = scores[who:lower()] or 0 }, text = text })
end

return {
  help = "give or take karma: /karma NICK++, /karma NICK--, /karma NICK",
  handle = function(ctx, payload)
    if type(payload) ~= "string" or payload == "" then
      return ctx:error("bad-args", "usage: /karma NICK++ | NICK-- | NICK")
    end
    if not ctx.room then
      return ctx:error("not-in-room", "join a room first")
    end
    local who, op = payload:match("^(%S-)([+-][+-])$")
    if not who then
      who = payload:match("^(%S+)$")
      if not who then
        return ctx:error("bad-args", "usage: /karma NICK++ | NICK-- | NICK")
      end
      return show(ctx, who, string.format("%s has karma %d", who, scores[who:lower()] or 0))
    end
    if op ~= "++" and op ~= "--" then
      return ctx:error("bad-args", "usage: /karma NICK++ | NICK-- | NICK")
    end
    if who:lower() == (ctx.nick or ""):lower() then
      return ctx:error("bad-args", "no karma for yourself")
    end
    local key = who:lower()
    scores[key] = (scores[key] or 0) + (op == "++" and 1 or -1)
    show(ctx, who, string.format("%s gives %s %s: %s now has karma %d", ctx.nick, who, op, who, scores[key]))
  end,
}
