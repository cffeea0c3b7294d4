import { startPage } from "../../lib/page";
import Login from "./Login.svelte";

startPage(Login);
