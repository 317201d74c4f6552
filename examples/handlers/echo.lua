-- echo: the original echo server's packet, as a script. It behaves like
-- the built-in `echo` it replaces: the payload goes, as sent, to every
-- JSON client, joined or not, the sender included.
--
--   C: {"type":"echo","payload":{"any":"json"}}
--   S (to every JSON client): {"type":"echo","payload":{"any":"json"}}
return {
  help = "send a JSON payload to every JSON client",
  handle = function(ctx, payload)
    ctx:echo(payload)
  end,
}
