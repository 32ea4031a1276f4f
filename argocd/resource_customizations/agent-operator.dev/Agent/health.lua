-- Argo CD health check for agent-operator.dev/Agent.
--
-- Runs in gopher-lua (Lua 5.1). Installed through argocd-cm it runs WITHOUT the
-- string library (only base, table and package are loaded), so this script
-- uses no string.* function and no string methods. It never errors on a
-- missing field: every level of obj is checked before it is read.
--
-- Order matters, most specific first:
--   1. spec.managementState Unmanaged            -> Suspended
--   2. no status yet / stale observedGeneration  -> Progressing (conditions are old news)
--   3. Stalled=True, phase Failed, Degraded=True -> Degraded (message from the condition)
--   4. Reconciling=True                          -> Progressing
--   5. Ready=True                                -> Healthy
--   6. anything else                             -> Progressing (message from Ready)

local hs = {}

local function field(t, key)
  if type(t) ~= "table" then return nil end
  return t[key]
end

local function condition(status, ctype)
  local conditions = field(status, "conditions")
  if type(conditions) ~= "table" then return nil end
  for _, c in ipairs(conditions) do
    if type(c) == "table" and c.type == ctype then return c end
  end
  return nil
end

local function isTrue(c)
  return c ~= nil and c.status == "True"
end

-- "Reason: message", or whichever part is there, or the fallback.
local function describe(c, fallback)
  if c == nil then return fallback end
  local reason = c.reason
  local message = c.message
  if type(message) == "string" and message ~= "" then
    if type(reason) == "string" and reason ~= "" then return reason .. ": " .. message end
    return message
  end
  if type(reason) == "string" and reason ~= "" then return reason end
  return fallback
end

local spec = field(obj, "spec")
local status = field(obj, "status")
local metadata = field(obj, "metadata")

if field(spec, "managementState") == "Unmanaged" then
  hs.status = "Suspended"
  hs.message = "spec.managementState is Unmanaged: the operator only reports and changes nothing"
  return hs
end

if type(status) ~= "table" or next(status) == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to report status"
  return hs
end

local generation = field(metadata, "generation")
local observed = status.observedGeneration
if type(observed) ~= "number" then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe the Agent"
  return hs
end
if type(generation) == "number" and observed < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation) ..
    " (observed " .. tostring(observed) .. ")"
  return hs
end

local stalled = condition(status, "Stalled")
if isTrue(stalled) then
  hs.status = "Degraded"
  hs.message = describe(stalled, "Stalled")
  return hs
end

local degraded = condition(status, "Degraded")
local ready = condition(status, "Ready")
if status.phase == "Failed" then
  local failure = field(status, "lastFailure")
  hs.status = "Degraded"
  if isTrue(degraded) then
    hs.message = describe(degraded, "Failed")
  elseif type(failure) == "table" and failure.reason ~= nil then
    hs.message = describe(failure, "Failed")
  else
    hs.message = describe(ready, "Failed")
  end
  return hs
end

if isTrue(degraded) then
  hs.status = "Degraded"
  hs.message = describe(degraded, "Degraded")
  return hs
end

local reconciling = condition(status, "Reconciling")
if isTrue(reconciling) then
  hs.status = "Progressing"
  hs.message = describe(reconciling, "Reconciling")
  return hs
end

if isTrue(ready) then
  hs.status = "Healthy"
  hs.message = describe(ready, "Ready")
  return hs
end

hs.status = "Progressing"
hs.message = describe(ready, "Waiting for the Agent to become Ready")
return hs
