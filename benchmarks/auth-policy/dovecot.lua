-- wrk script: Dovecot's auth-policy traffic against Postwarden's auth-policy listener. Each connection alternates
-- an allow (before the password check) and a report (after it) for one login, as Dovecot does; logins come from
-- 4096 client addresses of 198.18.0.0/15 (RFC 2544 benchmark range), 2000 users, 10 % failed logins with a random
-- password hash. Bodies follow Dovecot's default auth_policy_request_attributes template.
local counter = 0
local seq = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  math.randomseed(id * 7919)
  state = 0
end

local function attempt()
  seq = seq + 1
  local n = math.random(0, 4095)
  remote = string.format("198.18.%d.%d", math.floor(n / 256), n % 256)
  login = string.format("user%d@example.org", math.random(0, 1999))
  failed = math.random() < 0.10
  pwhash = failed and string.format("%03x", math.random(0, 4095)) or "a5c"
end

function request()
  if state == 0 then
    attempt()
    state = 1
    local body = string.format('{"device_id":"","login":"%s","protocol":"imap","pwhash":"%s","remote":"%s",' ..
      '"session_id":"s%d"}', login, pwhash, remote, seq)
    return wrk.format("POST", "/?command=allow", {["Content-Type"] = "application/json"}, body)
  end
  state = 0
  local body = string.format('{"device_id":"","login":"%s","protocol":"imap","pwhash":"%s","remote":"%s",' ..
    '"session_id":"s%d","success":%s,"policy_reject":false}', login, pwhash, remote, seq,
    failed and "false" or "true")
  return wrk.format("POST", "/?command=report", {["Content-Type"] = "application/json"}, body)
end
