// faultline command line; see docs/cli.md.
int main() { return 3; }
