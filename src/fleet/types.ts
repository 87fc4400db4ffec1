/**
 * The fleet state that `elf create` writes and `elf send`, `elf subscribe` and `elf clean` read.
 * On disk in the state dir (default ./misc): things.json plus, per thing, <name>.pem (certificate),
 * <name>.pub (public key) and <name>.prv (private key, mode 0600); the directory is 0700.
 */

/** Where the fleet was made: send/subscribe/clean reuse it so that they talk to the same place. */
export interface FleetTarget {
  region: string;
  /** control-plane endpoint override (the local stand-in or another AWS-compatible endpoint) */
  endpointUrl?: string;
  /** true when the target is elf's local stand-in */
  local: boolean;
  /** the AWS account id when known (from an ARN), for least-privilege policy ARNs */
  account?: string;
}

export interface ThingRecord {
  /** thing name, also the MQTT client id */
  name: string;
  thingArn?: string;
  /**
   * When CreateKeysAndCertificate was called (ISO time). AWS names a certificate only in its answer,
   * so a crash before the answer is recorded can leave a certificate elf cannot find; clean then
   * warns with this time.
   */
  certRequestedAt?: string;
  certificateId?: string;
  certificateArn?: string;
  /** recorded before CreatePolicy is called; without policyArn the call's outcome is unknown */
  policyName?: string;
  policyArn?: string;
  /**
   * CreateThing was called but its answer not yet recorded (a crash in between): clean checks that
   * the thing carries this fleet's `elf_fleet` attribute before deleting it.
   */
  thingRequested?: boolean;
  /** CreateThing found a thing of this name that this fleet did not make: it is never touched */
  nameTaken?: boolean;
  /** CreatePolicy found a policy of this thing's policy name with another document: never touched */
  policyNameTaken?: boolean;
  /** AttachThingPrincipal succeeded */
  principalAttached?: boolean;
  /** AttachPolicy (policy → certificate) succeeded */
  policyAttached?: boolean;
  /** file names relative to the state dir */
  files?: { cert: string; publicKey: string; privateKey: string };
}

export interface FleetState {
  version: 1;
  target: FleetTarget;
  prefix: string;
  topicRoot: string;
  things: ThingRecord[];
  /** random id of this fleet, stored on each thing as attribute `elf_fleet` so elf only deletes what it made */
  fleetId?: string;
  /** run id, stored on each thing as attribute `elf_run`: `elf clean --run-id` finds the run's things without local state */
  runId?: string;
  /** this state holds one shard of a fleet (`elf create N --shard i/n`) */
  shard?: { index: number; count: number };
  /** the whole fleet's size when this state holds one shard of it (for `--partition`) */
  fleetSize?: number;
  /** elf created the state dir (so clean may remove it when empty) */
  createdStateDir?: boolean;
}

/** A thing whose every resource exists and is attached, with its key files on disk: usable by send. */
export function isComplete(t: ThingRecord): t is ThingRecord & Required<Pick<ThingRecord, 'certificateArn' | 'certificateId' | 'thingArn' | 'policyName' | 'policyArn' | 'files'>> {
  return Boolean(t.certificateArn && t.certificateId && t.thingArn && t.principalAttached && t.policyArn && t.policyAttached && t.files);
}
