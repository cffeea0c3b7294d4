// hls.js ships no types for its light build's entry: they are the full build's.
declare module "hls.js/light" {
  import Hls from "hls.js";
  export default Hls;
}
