import { startPage } from "../../lib/page";
// The dashboard's cards, fields, badges and icons: the keys card is the same component.
import "../dashboard/dashboard.css";
import Account from "./Account.svelte";

startPage(Account);
