// `azd provision` (azd reads infra/main.bicep): a resource group tagged for the azd environment, then
// infra/azuredeploy.json, the ARM template the Deploy to Azure button uses, as a module in it. Both paths deploy the
// same template; this file only adds the resource group and the outputs azd keeps as environment values.
targetScope = 'subscription'

@minLength(1)
@maxLength(40)
@description('azd environment name; the resource group is rg-<name>.')
param environmentName string

@minLength(1)
@description('Region for every resource; it must offer Flex Consumption.')
param location string

@description('Application (client) id of the app registration; may stay empty until infra/postdeploy.sh sets it.')
param clientId string = ''

@allowed(['graph', 'legacy'])
@description('graph: Microsoft Graph security API. legacy: api.security.microsoft.com.')
param defenderApi string = 'graph'

@allowed(['public', 'gcc', 'gcc-high', 'dod'])
@description('Microsoft cloud of the tenant.')
param defenderCloud string = 'public'

@description('Global dry run: write steps report the change and make none.')
param dryRun bool = false

@allowed(['keyVaultSecret', 'keyVaultCertificate', 'managedIdentityFederation'])
@description('How the app registration proves itself (CREDENTIAL_SOURCE); managedIdentityFederation needs no secret.')
param credentialSource string = 'keyVaultSecret'

resource rg 'Microsoft.Resources/resourceGroups@2022-09-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: { 'azd-env-name': environmentName }
}

// Named riposte, like the CLI deployment in docs/deploy.md, so infra/postdeploy.sh finds its outputs as it is.
module riposte 'azuredeploy.json' = {
  name: 'riposte'
  scope: rg
  params: {
    location: location
    clientId: clientId
    defenderApi: defenderApi
    defenderCloud: defenderCloud
    dryRun: dryRun
    credentialSource: credentialSource
  }
}

output AZURE_LOCATION string = location
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = riposte.outputs.functionAppName
output AZURE_FUNCTION_APP_URL string = riposte.outputs.functionAppUrl
output AZURE_KEY_VAULT_NAME string = riposte.outputs.keyVaultName
