import { startPage } from "../../lib/page";
import "./dashboard.css";
import Dashboard from "./Dashboard.svelte";

startPage(Dashboard);
