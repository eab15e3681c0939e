import type { Account, Directory } from "../../src/directory/index.js";

/** Every account of the directory, its pages joined (what a collection reads a page at a time). */
export async function allAccounts(directory: Pick<Directory, "eachAccountPage">): Promise<Account[]> {
  const accounts: Account[] = [];
  await directory.eachAccountPage(async (page) => {
    accounts.push(...page);
  });
  return accounts;
}
