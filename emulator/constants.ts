export const ACCOUNT_ID = "123456789012";
