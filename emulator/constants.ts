export const ACCOUNT_ID = "123456789012";
export const EC2_API_VERSION = "2016-11-15";
