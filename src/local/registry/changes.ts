import type { CertificateRecord, PolicyRecord, RegistryThing, ThingGroupRecord, ThingTypeRecord } from './types.js';

/**
 * The registry's change events: one for every mutation, emitted synchronously after the state has
 * changed (so a listener reading the registry sees the new state). Registry events on MQTT
 * ($aws/events/thing/...) and the console's live view are built on these.
 */
export type ChangeOp = 'created' | 'updated' | 'deleted';

export type RegistryChange =
  /** `thing` is the record after the change (before it, for deleted); `previous` the record before an update */
  | { kind: 'thing'; op: ChangeOp; name: string; thing: RegistryThing; previous?: RegistryThing }
  | { kind: 'certificate'; op: ChangeOp; id: string; certificate: CertificateRecord }
  /** `defaultVersionChanged`: the policy's default version (the document in force) is another one now */
  | { kind: 'policy'; op: ChangeOp; name: string; policy: PolicyRecord; defaultVersionChanged?: boolean }
  /** updated: deprecated or undeprecated */
  | { kind: 'thingType'; op: ChangeOp; name: string; thingType: ThingTypeRecord }
  /** `rootToParent`: the group's ancestors, root first (empty for a root group) */
  | { kind: 'thingGroup'; op: ChangeOp; name: string; thingGroup: ThingGroupRecord; rootToParent: ThingGroupRecord[] }
  /** a thing added to (created) or removed from (deleted) a thing group; `name` is the group's */
  | { kind: 'thingGroupMembership'; op: 'created' | 'deleted'; name: string; thingName: string; thingGroup: ThingGroupRecord; thing?: RegistryThing }
  /**
   * A policy attached to (detached from) a target, or a principal attached to (detached from) a thing.
   * `name` is the policy or thing name, `target` the target or principal ARN, `certificateId` the
   * certificate's id when the target is a certificate.
   */
  | { kind: 'attachment'; op: 'created' | 'deleted'; attachment: 'policy' | 'thing-principal'; name: string; target: string; certificateId?: string };

export type ChangeListener = (change: RegistryChange) => void;

/** A set of listeners; one listener's failure never reaches the registry or the other listeners. */
export class ChangeEmitter<T> {
  private readonly listeners = new Set<(v: T) => void>();

  on(listener: (v: T) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(v: T): void {
    for (const l of this.listeners) {
      try {
        l(v);
      } catch {
        // a listener's failure is its own business; the registry's state is already consistent
      }
    }
  }
}
