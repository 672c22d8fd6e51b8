/**
 * Juju topology as the COS libraries describe a unit (canonical/cos-lib src/cosl/juju_topology.py):
 * the dict published as `scrape_metadata` / `metadata`, the identifier that prefixes job and
 * alert group names, and the `juju_*` labels put on every alert rule.
 */

export interface JujuTopology {
  readonly model: string;
  readonly modelUuid: string;
  readonly application: string;
  readonly unit: string;
  readonly charmName: string;
}

/** `topology.as_dict()`: the keys and order the libraries publish. */
export function topologyDict(topology: JujuTopology): Record<string, string> {
  return {
    model: topology.model,
    model_uuid: topology.modelUuid,
    application: topology.application,
    unit: topology.unit,
    charm_name: topology.charmName,
  };
}

/** `<model>_<first 8 of the model uuid>_<application>`, `/` replaced by `_`. */
export function topologyIdentifier(topology: JujuTopology): string {
  return `${topology.model}_${topology.modelUuid.slice(0, 8)}_${topology.application}`.replaceAll('/', '_');
}

/** `label_matcher_dict`: the labels added to every alert rule (no `juju_unit`). */
export function topologyLabels(topology: JujuTopology): Record<string, string> {
  return {
    juju_model: topology.model,
    juju_model_uuid: topology.modelUuid,
    juju_application: topology.application,
    juju_charm: topology.charmName,
  };
}
