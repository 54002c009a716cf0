-- Orthanc forwards every stable CT series to the preprocessing node (modality "ctprep" in
-- orthanc.json). Series the node derived itself are not sent back: their Manufacturer,
-- SoftwareVersions and DerivationDescription name the node. The node refuses to route its own
-- output anyway; this only saves the traffic.

NODE_MODALITY = 'ctprep'
NODE_MARKER = 'ct-preprocessing-node'

local function IsNodeOutput(seriesId)
  local instances = ParseJson(RestApiGet('/series/' .. seriesId .. '/instances'))
  if #instances == 0 then
    return false
  end
  -- Not DerivationDescription alone: Orthanc's JSON gives null for a value over 256 characters,
  -- and the node's often is one (a model step's line); the other two are 64 at most.
  local tags = ParseJson(RestApiGet('/instances/' .. instances[1]['ID'] .. '/simplified-tags'))
  for _, name in ipairs({ 'Manufacturer', 'SoftwareVersions', 'DerivationDescription' }) do
    local value = tags[name]
    if type(value) == 'string' and string.find(value, NODE_MARKER, 1, true) ~= nil then
      return true
    end
  end
  return false
end

function OnStableSeries(seriesId, tags, metadata)
  if tags['Modality'] ~= 'CT' then
    return
  end
  if IsNodeOutput(seriesId) then
    print('Not forwarding series ' .. seriesId .. ': made by the preprocessing node')
    return
  end
  -- The store endpoint takes a series id (SendToModality wants instance ids); run it as an
  -- asynchronous Orthanc job so this callback returns at once.
  local request = {}
  request['Resources'] = { seriesId }
  request['Synchronous'] = false
  RestApiPost('/modalities/' .. NODE_MODALITY .. '/store', DumpJson(request, true), false)
  print('Forwarded series ' .. seriesId .. ' to the preprocessing node')
end
