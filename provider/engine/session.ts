import { randomUUID } from "node:crypto";
import type { AutoScalingGateway } from "./auto-scaling-gateway";
import { JournalCohort } from "./cycle";
import { InstanceTypes } from "./finders";
import { Ec2Gateway } from "./gateway";
import { SlotLeases } from "./group-slots";
import { InstanceLocks } from "./instance-lock";
import { RolloutGroups } from "./rollout";
import type { SsmGateway } from "./ssm-gateway";
import type { AwsConnection } from "./types";

export interface SessionOptions {
  /** This EC2 gateway instead of one connected for the session (tests that count its calls). */
  ec2?: Ec2Gateway;
  /** This Auto Scaling gateway instead of one made on first use. */
  autoScaling?: AutoScalingGateway;
  /** This Systems Manager gateway instead of one made on first use. */
  ssm?: SsmGateway;
}

/** What every session of one run shares, whatever its connection. */
class Run {
  /** In every journal the run writes (see CycleOptions.runToken). */
  readonly token = randomUUID();
  /** Resources naming the same group share its slots, in whichever region they are. */
  readonly rolloutGroups = new RolloutGroups();
  /** One session per connection: the first one opened, and those made for other connections. */
  readonly sessions = new Map<string, Session>();
}

/** The connection and the EC2 endpoint it reaches, variables included: a process that switches endpoints gets a new session. */
function keyOf(connection: AwsConnection): string {
  const env = process.env;
  const endpoint = connection.endpoint ?? env.AWS_ENDPOINT_URL_EC2 ?? env.AWS_ENDPOINT_URL ?? "";
  return JSON.stringify([connection.region ?? "", connection.profile ?? "", endpoint]);
}

/**
 * Everything the engine keeps between calls for one connection (region, profile, endpoint) of one
 * run: the gateways and with them the SDK clients, batchers and pollers, the instance locks, the
 * rollout-group slots held, the type lookups, the journal cohort. A front end opens one when it is configured and
 * passes it to every engine it makes. Two sessions opened apart share none of it (only the
 * pollers' learned transition times stay process-wide: knowledge, not state, see poller.ts).
 */
export class Session {
  readonly ec2: Ec2Gateway;
  /** The instances this session is cycling. */
  readonly locks = new InstanceLocks();
  readonly instanceTypes: InstanceTypes;
  /** The journal time shared by this session's cycles that start together (journals go out batched per connection). */
  readonly journalCohort = new JournalCohort();
  private autoScalingGateway: AutoScalingGateway | undefined;
  private ssmGateway: SsmGateway | undefined;
  private leases: SlotLeases | undefined;

  private constructor(
    readonly connection: AwsConnection,
    private readonly run: Run,
    options: SessionOptions,
  ) {
    this.ec2 = options.ec2 ?? Ec2Gateway.connect(connection);
    this.instanceTypes = new InstanceTypes(this.ec2);
    this.autoScalingGateway = options.autoScaling;
    this.ssmGateway = options.ssm;
  }

  /** A new run's session for `connection`: a fresh run token, no locks, no groups, no cached types. */
  static open(connection: AwsConnection = {}, options: SessionOptions = {}): Session {
    const run = new Run();
    const session = new Session(connection, run, options);
    run.sessions.set(keyOf(connection), session);
    return session;
  }

  /**
   * This run's session for `connection` (a resource's own region): this one for the same
   * connection, otherwise one made on first use and kept, with the run's token and rollout groups.
   */
  forConnection(connection: AwsConnection): Session {
    const key = keyOf(connection);
    let session = this.run.sessions.get(key);
    if (!session) {
      session = new Session(connection, this.run, {});
      this.run.sessions.set(key, session);
    }
    return session;
  }

  /** The run's token, in every journal this session writes. */
  get runToken(): string {
    return this.run.token;
  }

  get rolloutGroups(): RolloutGroups {
    return this.run.rolloutGroups;
  }

  /** The rollout-group slots this session holds across runs; made on first use (it reads its lease from the environment). */
  get slotLeases(): SlotLeases {
    this.leases ??= new SlotLeases(this.ec2, this.run.token);
    return this.leases;
  }

  /** Auto Scaling, loaded on first use: its client adds to every start-up, and few runs need it. */
  autoScaling(): AutoScalingGateway {
    this.autoScalingGateway ??= (
      require("./auto-scaling-gateway") as typeof import("./auto-scaling-gateway")
    ).AutoScalingGateway.connect(this.connection);
    return this.autoScalingGateway;
  }

  /** Systems Manager for the in-guest check, loaded on first use like Auto Scaling. */
  ssm(): SsmGateway {
    this.ssmGateway ??= (require("./ssm-gateway") as typeof import("./ssm-gateway")).SsmGateway.connect(
      this.connection,
    );
    return this.ssmGateway;
  }
}
