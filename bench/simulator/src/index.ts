// The cluster what-if simulator: KEDA-scaled KafkaSource consumers in front of a KPA-scaled Knative
// Service, replayed for arrival patterns (bench/README.md "Simulator").
export {
  type ArrivalPattern,
  ArrivalPatternError,
  arrivalRateAt,
  describeArrivals,
  validateArrivalPattern,
} from './arrivals.ts'
export {
  decideSourceReplicas,
  initialKedaState,
  type KedaDecision,
  type KedaInput,
  KedaSettingsError,
  type KedaSourceSettings,
  type KedaState,
  kedaSourceDefaults,
  maxReplicasOf,
  validateKedaSettings,
} from './keda.ts'
export {
  type ClusterAssumptions,
  defaultAssumptions,
  kedaSettingsOf,
  kpaSettingsOf,
  ScenarioBuildError,
  type SourceScenarioOptions,
  scenarioForSource,
} from './scenarios.ts'
export {
  type FunctionModel,
  type Scenario,
  ScenarioError,
  type SimulationResult,
  type SimulationSummary,
  type SourceModel,
  simulate,
  type TimelinePoint,
} from './simulate.ts'
