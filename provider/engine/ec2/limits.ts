/** EC2's per-call limits: the batches and pollers cut their lists to these. */

/** IDs per DescribeInstances, StopInstances, StartInstances, CreateTags or DeleteTags call: EC2's maximum. */
export const MAX_IDS_PER_CALL = 1000;

/** DescribeInstanceStatus takes at most 100 explicit instance IDs. */
export const MAX_STATUS_IDS_PER_CALL = 100;

/** DescribeInstanceTypes takes up to 100 types. */
export const MAX_TYPES_PER_CALL = 100;

/** Values per DescribeInstances filter: EC2 accepts up to 200. */
export const MAX_FILTER_VALUES = 200;
