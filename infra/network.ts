/**
 * The VPC the database lives in, and the Lambdas that reach it. The functions also call the model provider on
 * the internet and SQS, so the private subnets need NAT: `ec2` runs a fck-nat t4g.nano instance per AZ (a few
 * dollars a month) instead of managed NAT gateways (about $33 a month each before traffic).
 */
export const vpc = new sst.aws.Vpc("Vpc", { az: 2, nat: "ec2" });
