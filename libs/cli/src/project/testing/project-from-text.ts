import { definitionsOf, type LoadedProject, parseProjectText } from '../project-file';

/** A project of each kind of object, its model with a training spec and all three policies. */
export const CHURN = `
datasets:
  - name: churn
    contract:
      columns:
        - { name: customer_id, type: string, required: true }
        - { name: tenure, type: double, min: 0 }
        - { name: churned, type: boolean }
        - { name: event_time, type: timestamp }
      eventTimeColumn: event_time
    commitPolicy: { maxInterval: 5s }
featureViews:
  - name: churn_features
    dataset: churn
    entityKey: customer_id
    eventTimeColumn: event_time
    onlineTtl: 7d
    features:
      - { name: tenure, column: tenure, type: double }
      - { name: log_tenure, expression: "log1p(tenure)", type: double }
models:
  - name: churn
    description: Who leaves next month
    training:
      featureView: churn_features
      label: churned
      algorithm: gbdt
      task: binary
      search: { parameters: { learning_rate: [0.05, 0.1], max_depth: { min: 2, max: 6, integer: true } }, strategy: random }
    promotion: { minAbsoluteImprovement: 0.01, autoDeploy: false }
    retraining: { enabled: true, cooldown: 2h }
    monitoring: { windowSize: 200, featureTests: [{ feature: tenure, test: ks }] }
deployments:
  - name: churn
    canary: { trafficShare: 0.2, maxDuration: 30m }
`;

/** A project read from YAML text as `loadProject` reads a file; a problem in the text fails the test. */
export function projectFromText(text: string, file = 'project.yaml'): LoadedProject {
  const parsed = parseProjectText(file, text);
  if ('problems' in parsed) throw new Error(parsed.problems.join('\n'));
  return { files: [file], ...definitionsOf(parsed) };
}
