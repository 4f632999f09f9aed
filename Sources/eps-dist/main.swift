import Launcher

EpsDist.runMain()
